"""The hostile-input and fault campaign: named bad inputs on every path, faults in the S1SPs, and
generated mutations of valid requests, each checked for a clear rejection, no state change and no
crash. `python -m campaign --help`."""
