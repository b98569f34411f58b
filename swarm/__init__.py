"""Swarm: an open-source support platform built on intelligent swarming."""
