"""Query side: the recruiter Boolean language (parse -> AST), filters, later expansion and LLM generation."""
