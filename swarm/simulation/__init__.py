"""What-if on virtual time: a discrete-event engine, a workload model driving the production
routing policies, scenarios, calibration from imported logs, and the log importers."""
