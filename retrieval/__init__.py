"""From a question to cited evidence: search, ranking, evidence and answers. Never writes."""
