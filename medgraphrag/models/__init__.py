"""The models: sentence embeddings, the LLM client and the prompts it is sent."""
