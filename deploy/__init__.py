"""Deployment files and the small generators that keep them in step with the code."""
