"""Reporting for the MP107 suite: Allure evidence, the clause traceability matrix and its gate."""
