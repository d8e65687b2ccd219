"""The Grafana dashboard, generated from a short panel list."""
