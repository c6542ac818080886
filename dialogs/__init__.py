"""Conversations: thin handlers that call storage queries and card builders."""
