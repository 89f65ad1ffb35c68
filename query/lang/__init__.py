"""The query language: the recruiter Boolean syntax (lexer, parser, AST), keyword queries, syntax
detection, filters and title expansion. It imports nothing from job-posting intake or the indexer."""
