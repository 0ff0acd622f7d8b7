"""Development tools: Home Assistant runner, develop orchestrator, generators."""
