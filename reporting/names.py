"""The names the report's pieces agree on, at the bottom of `reporting`: what the formatter and the evidence
write during a run, and what the matrix, the annotations, the verdict and the impact matrix read afterwards.
It imports nothing, so that every other module of the package can import it and none reaches up for a name.
"""

CLAUSE_LABEL = "clause"
"""The Allure label that groups a scenario under its clause's heading ("SRPD 6.2(d) — …")."""
LOCATION_LABEL = "location"
"""The Allure label ``path:line`` of a scenario or outline row: how results are joined to what is written."""
UNDEFINED_STEP = "Undefined step"
"""How a result whose step no definition matches begins its message (upstream gives only a snippet to copy)."""

EXCHANGE_PREFIX = "Exchange: "
ANCHORS_PREFIX = "Trust anchors"
NOT_COUNTED_PREFIX = "Not counted: "
"""Attachment names the report's summary of a scenario looks for (`reporting.annotate`)."""
OUTCOME_ATTACHMENT = "Outcome"
"""The attachment with a scenario's outcome in a few words (`support.outcome`), which the impact matrix reads."""

TARGET_ENVIRONMENT = "target-environment-*.json"
"""Written by the hooks beside the Allure results (one per behave process); the runner reads and removes them."""
MESSAGES_ENV = "MP107_MESSAGES_DIR"
"""Tells a behave process where to write each DUIS message as sent and received (`reporting.messages`)."""
