"""Job-posting intake: reading a posting's structure (``posting``), places, years, occupations and
skills (dictionary and learned spans), into ``HiringRequirements`` (``requirements``)."""
