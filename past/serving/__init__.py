"""Text generation for chat: streaming replies of one or several models ("sides") at once.

- :mod:`past.serving.engine`: the :class:`ChatEngine` protocol, :class:`SideSpec`, :class:`StreamEvent`,
  :class:`StopSignal`, and the :class:`ModelSource` engines get models from (``backend.model_pool``).
- :mod:`past.serving.transformers_engine`: the default engine (CPU), shared-base batched A/B decoding.
- :mod:`past.serving.vllm_engine`: the GPU engine (vLLM multi-LoRA), imported lazily.
- :mod:`past.serving.decode`, :mod:`past.serving.lora_batch`, :mod:`past.serving.prompts`: the decode
  loop, fast per-row LoRA batches, and prompt preparation (chat template, context window policy).
- :mod:`past.serving.generation`: :class:`GenerationParams`, the decoding settings of every engine.
- :mod:`past.serving.chat`: :func:`stream_chat`, one model and one conversation (``past chat``, Chat screen).
"""
