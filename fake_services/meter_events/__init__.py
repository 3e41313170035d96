"""Meter events: the meters themselves, as the sandbox simulates them. What a person at a real meter would do
to make it raise an alert is here a JSON request; where the alert goes is seen only by the User that receives
it."""
