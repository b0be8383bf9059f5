"""Small tool documents in each accepted form, and a scripted policy for the agent loop's plumbing tests."""

from __future__ import annotations

from collections.abc import Callable

from past.serving.generation import GenerationParams

PARCEL_APIS = [
    {
        "category_name": "Logistics",
        "tool_name": "suivi-colis",
        "api_name": "Latest",
        "api_description": "The current state of the parcel.",
        "required_parameters": [{"name": "colisId", "type": "STRING", "description": "", "default": "CA107308006SI"}],
        "optional_parameters": [],
        "method": "GET",
        "template_response": {"country": {"code": "str", "name": "str"}, "colisId": "str", "status": "str"},
    },
    {
        "category_name": "Logistics",
        "tool_name": "suivi-colis",
        "api_name": "Count",
        "api_description": "Counts the steps of the parcel's history.",
        "required_parameters": [{"name": "colisId", "type": "STRING", "description": "", "default": "CA107308006SI"}],
        "optional_parameters": [{"name": "verbose", "type": "BOOLEAN", "description": "more detail"}],
        "method": "GET",
        "template_response": {"nbSteps": "int"},
    },
]

PARCEL_QUERY = {
    "query": "Where is my parcel CA107308006SI and how many steps has it gone through?",
    "query_id": 28,
    "relevant APIs": [["suivi-colis", "Latest"], ["suivi-colis", "Count"]],
    "api_list": PARCEL_APIS,
}

OPENAPI = {
    "openapi": "3.0.0",
    "info": {"title": "Weather Desk", "x-category": "Weather"},
    "components": {
        "schemas": {
            "Forecast": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "temp_c": {"type": "number"}, "days": {"type": "integer"}},
            }
        }
    },
    "paths": {
        "/forecast/{city}": {
            "get": {
                "operationId": "getForecast",
                "summary": "Forecast for a city.",
                "parameters": [
                    {"name": "city", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "days", "in": "query", "schema": {"type": "integer", "default": 3}},
                ],
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Forecast"}}}}
                },
            }
        },
        "/alerts": {
            "post": {
                "operationId": "subscribeAlerts",
                "description": "Subscribe to weather alerts.",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["email"],
                                "properties": {
                                    "email": {"type": "string"},
                                    "level": {"type": "string", "enum": ["low", "high"]},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"content": {"application/json": {"example": {"subscribed": True}}}}},
            }
        },
    },
}

FUNCTIONS = [
    {
        "type": "function",
        "function": {
            "name": "convert_currency",
            "description": "Convert an amount between currencies.",
            "parameters": {
                "type": "object",
                "properties": {
                    "amount": {"type": "number"},
                    "from": {"type": "string"},
                    "to": {"type": "string"},
                },
                "required": ["amount", "from", "to"],
            },
        },
    },
    {"name": "list_currencies", "description": "All supported currencies.", "parameters": {"type": "object"}},
]


class ScriptedPolicy:
    """A stand-in policy: ``script(conversation, turn)`` gives each reply (the model is not under test here)."""

    name = "scripted"
    batch_size = 8

    def __init__(self, script: Callable[[list[dict[str, str]], int], str]) -> None:
        self.script = script
        self.calls: list[int] = []

    def generate(self, conversations, params: GenerationParams, seed: int | None = None) -> list[str]:
        self.calls.append(len(conversations))
        return [self.script(c, sum(m["role"] == "assistant" for m in c)) for c in conversations]


CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def make_byte_chat_model(path, seed: int = 0, vocab: int = 400):
    """A tiny random Llama with a byte-level BPE tokenizer (any text round-trips) and a ChatML template."""
    import json

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from past.tools.react import SYSTEM_PROMPT
    from tests.tiny_models import make_tiny_llama

    make_tiny_llama(path, seed=seed, vocab=vocab)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [SYSTEM_PROMPT, json.dumps(PARCEL_APIS), PARCEL_QUERY["query"], "Observation: Thought: Action Input:"]
    tokenizer.train_from_iterator(corpus * 4, trainer)
    tokenizer.save(str(path / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": "<|im_end|>",
        "pad_token": "<|im_end|>",
        "bos_token": "<|im_start|>",
        "unk_token": "<|endoftext|>",
        "chat_template": CHATML,
    }
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    return path
