"""Text generation for chat: streaming replies from loaded models."""
