"""Labels (relabels from Slack buttons and the CLI) and Slack interactivity."""
