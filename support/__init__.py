"""Support code for the SECMP0107 acceptance suite."""
