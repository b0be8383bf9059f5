"""What every screen of the studio needs, passed explicitly instead of living in globals."""

from __future__ import annotations

from dataclasses import dataclass

from backend.jobs import JobService
from backend.model_pool import ModelPool
from past.models import ModelRegistry
from past.settings import Settings


@dataclass
class StudioContext:
    settings: Settings
    registry: ModelRegistry
    models: ModelPool
    jobs: JobService  # submit/list/show/logs/metrics/cancel/resume of background jobs

    @classmethod
    def create(cls, settings: Settings) -> StudioContext:
        registry = ModelRegistry(settings)
        return cls(settings=settings, registry=registry, models=ModelPool(registry), jobs=JobService(settings))
