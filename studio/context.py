"""What every screen of the studio needs, passed explicitly instead of living in globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from backend.documents import DocumentService
from backend.jobs.service import JobService
from backend.model_pool import ModelPool, default_budget_bytes
from backend.store import AuditRepository, ChatRepository, SelectionRepository, Store
from past.device import EngineChoice, choose_chat_engine, configure_torch, detect
from past.models import ModelRegistry
from past.serving.choice import VLLM_GPU_FRACTION, create_chat_engine, describe_serving
from past.serving.engine import ChatEngine
from past.settings import Settings
from past.skills import SkillLibrary
from studio.access import StudioAccess
from studio.guard import Guard

# Model streams (Chat and A/B chat together) that run at once; more sessions wait in Gradio's queue.
GENERATE_CONCURRENCY = 2


@dataclass
class StudioContext:
    settings: Settings
    registry: ModelRegistry
    models: ModelPool
    engine: ChatEngine
    engine_choice: EngineChoice
    store: Store
    jobs: JobService
    skills: SkillLibrary
    access: StudioAccess | None = None  # set by the launcher; None when embedded elsewhere
    # roles, path policy, generation cap and audit log (the launcher sets the policy and the logins)
    guard: Guard = field(default_factory=Guard)

    @classmethod
    def create(cls, settings: Settings) -> StudioContext:
        registry = ModelRegistry(settings)
        device = detect()
        configure_torch(device)
        choice = choose_chat_engine(device)
        reserved = VLLM_GPU_FRACTION if choice.name == "vllm" else 0.0
        pool = ModelPool(registry, default_budget_bytes(device, reserved), device=device)
        engine = create_chat_engine(
            choice, pool, lambda ref: registry.resolve(ref).path, max_streams=GENERATE_CONCURRENCY
        )
        store = Store(settings.db_path)
        return cls(
            settings=settings,
            registry=registry,
            models=pool,
            engine=engine,
            engine_choice=choice,
            store=store,
            jobs=JobService(settings, store=store),
            skills=SkillLibrary(settings),
            guard=Guard(audit=AuditRepository(store)),
        )

    def serving_line(self) -> str:
        """Which chat engine and device answer chats, for the header of the studio."""
        return describe_serving(self.engine_choice, self.engine)

    @cached_property
    def documents(self) -> DocumentService:
        return DocumentService(self.settings, self.store, tokenizer=self.default_tokenizer)

    @cached_property
    def selections(self) -> SelectionRepository:
        return SelectionRepository(self.store)

    @cached_property
    def chats(self) -> ChatRepository:
        return ChatRepository(self.store)

    @cached_property
    def default_tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.registry.resolve("default").path)
