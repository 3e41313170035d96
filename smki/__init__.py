"""A test Smart Metering Key Infrastructure: SMKI Organisation certificates with the real profile."""
