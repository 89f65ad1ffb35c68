"""LLM query layer: providers behind ``QueryPlanner``, the offline planner, prompts, priors, generation."""
