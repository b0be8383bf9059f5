"""What every screen of the studio needs, passed explicitly instead of living in globals."""

from __future__ import annotations

from dataclasses import dataclass

from backend.model_pool import ModelPool
from past.models import ModelRegistry
from past.serving.transformers_engine import TransformersChatEngine
from past.settings import Settings

# Model streams (Chat and A/B chat together) that run at once; more sessions wait in Gradio's queue.
GENERATE_CONCURRENCY = 2


@dataclass
class StudioContext:
    settings: Settings
    registry: ModelRegistry
    models: ModelPool
    engine: TransformersChatEngine

    @classmethod
    def create(cls, settings: Settings) -> StudioContext:
        registry = ModelRegistry(settings)
        pool = ModelPool(registry)
        engine = TransformersChatEngine(pool, max_streams=GENERATE_CONCURRENCY)
        return cls(settings=settings, registry=registry, models=pool, engine=engine)
