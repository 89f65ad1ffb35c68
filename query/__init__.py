"""Query side: the query language (``query.lang``), job-posting intake (``query.intake.requirements``), query
generation and refinement (``query.llm``, ``query.refine``) and the responsible-AI guard."""
