"""Tier 3: controlled vocabularies (UMLS, SNOMED CT, open sources) read into concept records."""
