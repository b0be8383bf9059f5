"""The hostile inputs of the bad-input drill (issue 16), one row each: the input, and the error it must get.

``tests/test_bad_inputs.py`` runs every row that is one command line (``past ...`` or ``launch.py ...``)
against a data directory holding a registered base model and a library skill, and asserts the exit code,
the specific error, no traceback, and that the database (its content), the uploads, the model store, the skill
library and the input files are unchanged. A row that needs more than one command (a clock step, a killed
daemon, a browser upload) names the test that runs it; the suite checks that test exists.

``docs/bad-inputs.md`` is generated from this list (``python -m tests.bad_inputs > docs/bad-inputs.md``)
and a test fails when the two differ, so the table and the tests cannot drift apart.

Placeholders in a command line: ``{data}`` the data directory, ``{work}`` the prepared hostile files
(checksummed too), ``{out}`` a fresh empty directory for outputs, ``{upload}`` the stored text of the drill's
uploaded document (``<data>/uploads/<id>/text.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = (
    "Data loss and escapes",
    "Tracebacks instead of errors",
    "Garbage accepted silently",
    "Smaller",
)


@dataclass(frozen=True)
class BadInput:
    id: str
    group: str
    hostile: str  # what the hostile user did, as the table shows it
    expect: str  # a regular expression the error output must match
    argv: tuple[str, ...] = ()  # a `past` command line (tool "past") or launch.py flags (tool "launch")
    tool: str = "past"
    exit_code: int = 2
    covered_by: str = ""  # tests/FILE.py::TEST for rows that are not one command line

    @property
    def command(self) -> str:
        prefix = {"past": "past", "launch": "python launch.py"}[self.tool]
        return f"{prefix} {' '.join(self.argv)}" if self.argv else self.hostile


def past(*argv: str) -> tuple[str, ...]:
    return argv


LOSS, TRACEBACK, GARBAGE, SMALLER = GROUPS

CASES: tuple[BadInput, ...] = (
    # --- data loss and escapes -------------------------------------------------------------------------
    BadInput(
        "inject-out-over-registered-base",
        LOSS,
        "inject over the registered base model with --out <data>/models/<base> --overwrite",
        r"--out .*models/tiny is inside the model store",
        past("inject", "default", "--skill", "qa", "--out", "{data}/models/tiny", "--overwrite"),
    ),
    BadInput(
        "inject-name-of-registered-base",
        LOSS,
        "inject with --name of a registered model",
        r"'tiny' is already a registered model; stored models are never overwritten",
        past("inject", "default", "--skill", "qa", "--name", "tiny", "--overwrite"),
    ),
    BadInput(
        "inject-out-over-library-skill",
        LOSS,
        "inject with --out a library skill's folder --overwrite",
        r"is inside the skill library",
        past("inject", "default", "--skill", "qa", "--out", "{data}/skills/qa", "--overwrite"),
    ),
    BadInput(
        "inject-name-traversal",
        LOSS,
        "inject --name '../x' (a path out of the model store)",
        r"model name '\.\./x' contains a path separator",
        past("inject", "default", "--skill", "qa", "--name", "../x"),
    ),
    BadInput(
        "extract-out-over-library-skill",
        LOSS,
        "extract --out a library skill's folder --overwrite",
        r"is inside the skill library",
        past(
            "extract", "--rl", "{work}/rl", "--sft", "tiny", "--name", "v", "--out", "{data}/skills/qa", "--overwrite"
        ),
    ),
    BadInput(
        "ingest-out-is-the-input",
        LOSS,
        "ingest FILE --out FILE (the output is the source document)",
        r"--out .*notes\.md is one of the inputs",
        past("ingest", "{work}/notes.md", "--out", "{work}/notes.md"),
    ),
    BadInput(
        "skill-import-folder-with-symlink",
        LOSS,
        "skill import of a folder whose orthogonality.json links to a server file",
        r"holds a symbolic link \(orthogonality\.json\)",
        past("skill", "import", "{work}/linked-skill", "--name", "linked"),
    ),
    BadInput(
        "wall-clock-step",
        LOSS,
        "the wall clock steps by 31 s while jobs run",
        "jobs keep running and succeed; no 'the job runner (pid …) is gone'",
        covered_by="tests/test_jobs_process.py::test_a_wall_clock_step_does_not_stop_running_jobs",
    ),
    BadInput(
        "process-identity-clock-step",
        LOSS,
        "the identity of a process checked across a 31 s clock step",
        "same boot-relative start time; a reused pid is still told apart",
        covered_by="tests/test_jobs_process.py::test_a_process_keeps_its_identity_across_a_wall_clock_step",
    ),
    BadInput(
        "kill-9-daemon-orphans-children",
        LOSS,
        "kill -9 of the daemon (and of a worker) while jobs run a child `sleep`",
        "no child outlives its job: the worker takes it along, recovery reaps the group",
        covered_by="tests/test_jobs_process.py::test_children_of_a_job_do_not_outlive_a_kill_9_of_the_daemon",
    ),
    BadInput(
        "launch-all-interfaces-without-auth",
        LOSS,
        "launch.py --host 0.0.0.0 without --auth",
        r"--host 0\.0\.0\.0 makes the studio reachable from other machines.*--no-auth-i-know",
        ("--host", "0.0.0.0", "--data-dir", "{out}/studio"),
        tool="launch",
    ),
    # --- output policy (issue 25; ids out-): every writing verb, one policy (past/paths.py check_output) ---------
    BadInput(
        "out-ingest-over-database",
        LOSS,
        "ingest --out <data>/studio.sqlite (replacing every job, document and vote)",
        r"--out .*studio\.sqlite is inside the database",
        past("ingest", "{work}/notes.md", "--out", "{data}/studio.sqlite"),
    ),
    BadInput(
        "out-tools-ingest-over-database",
        LOSS,
        "tools ingest --out <data>/studio.sqlite",
        r"--out .*studio\.sqlite is inside the database",
        past("tools", "ingest", "{work}/notes.md", "--out", "{data}/studio.sqlite"),
    ),
    BadInput(
        "out-synth-over-database",
        LOSS,
        "synth --out <data>/studio.sqlite",
        r"--out .*studio\.sqlite is inside the database",
        past("synth", "{work}/notes.md", "--out", "{data}/studio.sqlite"),
    ),
    BadInput(
        "out-analyze-json-over-database",
        LOSS,
        "analyze --json <data>/studio.sqlite",
        r"--json .*studio\.sqlite is inside the database",
        past("analyze", "qa", "qa", "--json", "{data}/studio.sqlite"),
    ),
    BadInput(
        "out-ab-export-over-database",
        LOSS,
        "ab export --out <data>/studio.sqlite",
        r"--out .*studio\.sqlite is inside the database",
        past("ab", "export", "--out", "{data}/studio.sqlite"),
    ),
    BadInput(
        "out-ab-export-over-database-journal",
        LOSS,
        "ab export --out <data>/studio.sqlite-wal (the database's write-ahead log)",
        r"--out .*studio\.sqlite-wal is inside the database",
        past("ab", "export", "--out", "{data}/studio.sqlite-wal"),
    ),
    BadInput(
        "out-ingest-over-stored-document",
        LOSS,
        "ingest --out <data>/uploads/<id>/text.txt (a stored document)",
        r"--out .*text\.txt is inside the stored documents \(uploads\)",
        past("ingest", "{work}/notes.md", "--out", "{upload}"),
    ),
    BadInput(
        "out-analyze-csv-over-stored-document",
        LOSS,
        "analyze --csv <data>/uploads/<id>/text.txt",
        r"--csv .*text\.txt is inside the stored documents \(uploads\)",
        past("analyze", "qa", "qa", "--csv", "{upload}"),
    ),
    BadInput(
        "out-tools-ingest-over-stored-document",
        LOSS,
        "tools ingest --out <data>/uploads/<id>/text.txt",
        r"--out .*text\.txt is inside the stored documents \(uploads\)",
        past("tools", "ingest", "{work}/notes.md", "--out", "{upload}"),
    ),
    BadInput(
        "out-eval-into-model-store",
        LOSS,
        "eval --out <data>/models/<base> (results written into a stored model)",
        r"--out .*models/tiny is inside the model store",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "{data}/models/tiny"),
    ),
    BadInput(
        "out-skill-export-into-library",
        LOSS,
        "skill export qa <data>/skills (a zip written into the skill library)",
        r"DEST .*skills/qa\.zip is inside the skill library",
        past("skill", "export", "qa", "{data}/skills"),
    ),
    BadInput(
        "out-ab-export-into-model-store",
        LOSS,
        "ab export --out <data>/models/<base>/config.json",
        r"--out .*config\.json is inside the model store",
        past("ab", "export", "--out", "{data}/models/tiny/config.json"),
    ),
    BadInput(
        "out-tools-ingest-into-library",
        LOSS,
        "tools ingest --out <data>/skills/qa/skill.json",
        r"--out .*skill\.json is inside the skill library",
        past("tools", "ingest", "{work}/notes.md", "--out", "{data}/skills/qa/skill.json"),
    ),
    BadInput(
        "out-report-card-into-artifacts",
        LOSS,
        "report-card --out <data>/artifacts/x",
        r"--out .*artifacts/x is inside the job artifacts",
        past("report-card", "--adapted", "tiny", "--out", "{data}/artifacts/x"),
    ),
    BadInput(
        "out-sft-run-into-uploads",
        LOSS,
        "sft --out <data>/uploads/run (a run folder among the stored documents)",
        r"--out .*uploads/run is inside the stored documents",
        past("sft", "{work}/notes.md", "--out", "{data}/uploads/run"),
    ),
    BadInput(
        "out-tools-ingest-over-its-input",
        LOSS,
        "tools ingest X --out X",
        r"--out .*notes\.md is one of the inputs",
        past("tools", "ingest", "{work}/notes.md", "--out", "{work}/notes.md"),
    ),
    BadInput(
        "out-inject-overwrite-ordinary-folder",
        LOSS,
        "inject --out DIR --overwrite where DIR is an ordinary folder holding a file",
        r"--out .*keep is a folder that no past command made",
        past("inject", "default", "--skill", "qa", "--out", "{work}/keep", "--overwrite"),
    ),
    BadInput(
        "out-extract-overwrite-ordinary-folder",
        LOSS,
        "extract --out DIR --overwrite where DIR is an ordinary folder holding a file",
        r"--out .*keep is a folder that no past command made",
        past("extract", "--rl", "{work}/rl", "--sft", "tiny", "--name", "v", "--out", "{work}/keep", "--overwrite"),
    ),
    BadInput(
        "out-eval-into-ordinary-folder",
        LOSS,
        "eval --out DIR where DIR is an ordinary folder holding a file",
        r"--out .*keep is a folder that no past command made",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "{work}/keep"),
    ),
    BadInput(
        "out-skill-import-zip-bomb",
        LOSS,
        "skill import of a 64 KB zip holding a 64 MiB tensor file of zeros (1,000:1)",
        r"bomb-skill\.zip would unpack 0\.1 MB into 64\.0 MB .*more than 100:1 is refused",
        past("skill", "import", "{work}/bomb-skill.zip", "--name", "b1"),
    ),
    BadInput(
        "out-skill-import-declares-68-gib",
        LOSS,
        "skill import of a 2 KB zip whose directory declares 68 GiB",
        r"huge-skill\.zip would unpack to 68\.0 GiB, more than a skill import takes \(64 GiB\)",
        past("skill", "import", "{work}/huge-skill.zip", "--name", "b2"),
    ),
    BadInput(
        "out-data-dir-root",
        LOSS,
        "--data-dir / (the database and models written into the root folder)",
        r"the data directory cannot be the system folder /: ",
        past("--data-dir", "/", "model", "list"),
    ),
    BadInput(
        "out-data-dir-etc",
        LOSS,
        "--data-dir /etc",
        r"the data directory cannot be the system folder /etc: ",
        past("--data-dir", "/etc", "docs", "list"),
    ),
    BadInput(
        "out-data-dir-proc",
        LOSS,
        "--data-dir /proc/past",
        r"the data directory /proc/past is inside /proc, a system file system",
        past("--data-dir", "/proc/past", "model", "list"),
    ),
    BadInput(
        "out-launch-data-dir-root",
        LOSS,
        "launch.py --data-dir /",
        r"the data directory cannot be the system folder /: ",
        ("--data-dir", "/"),
        tool="launch",
    ),
    BadInput(
        "out-eval-in-proc",
        TRACEBACK,
        "eval --out /proc/x",
        r"cannot write --out /proc/x: /proc is a system file system",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "/proc/x"),
    ),
    BadInput(
        "out-skill-export-in-proc",
        TRACEBACK,
        "skill export qa /proc/x.zip",
        r"cannot write DEST /proc/x\.zip: /proc is a system file system",
        past("skill", "export", "qa", "/proc/x.zip"),
    ),
    BadInput(
        "out-ab-export-missing-folder",
        TRACEBACK,
        "ab export --out a file in a folder that does not exist",
        r"cannot write --out .*no/such/votes\.json: the folder .*no/such does not exist; create it first",
        past("ab", "export", "--out", "{out}/no/such/votes.json"),
    ),
    BadInput(
        "out-synth-missing-folder",
        TRACEBACK,
        "synth --out a file in a folder that does not exist",
        r"cannot write --out .*no/such/synth\.jsonl: the folder .*no/such does not exist",
        past("synth", "{work}/notes.md", "--out", "{out}/no/such/synth.jsonl"),
    ),
    BadInput(
        "out-ab-export-name-too-long",
        TRACEBACK,
        "ab export --out a 300-character file name",
        r"cannot write --out .*aaaa\.json: the name is too long for the file system",
        past(
            "ab",
            "export",
            "--out",
            "{out}/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
        ),
    ),
    BadInput(
        "out-full-disk",
        TRACEBACK,
        "a full disk (ENOSPC) while ab export, inject --out and skill export write",
        "one line: 'cannot write … the disk is full; free some space or write somewhere else'; nothing half-written",
        covered_by="tests/test_outputs.py::test_a_full_disk_is_one_line_and_leaves_nothing_half_written",
    ),
    BadInput(
        "out-overwrite-own-output",
        SMALLER,
        "inject --out DIR twice, the second time with --overwrite (DIR made by the first)",
        "replaced: the folder carries .past-output.json, so it is the command's own",
        covered_by="tests/test_outputs.py::test_overwrite_replaces_only_a_folder_a_past_command_made",
    ),
    # --- end of the output-policy block ------------------------------------------------------------------------
    # --- tracebacks instead of errors --------------------------------------------------------------------
    BadInput(
        "ingest-out-is-a-directory",
        TRACEBACK,
        "ingest --out DIR",
        r"--out .*outdir is a directory",
        past("ingest", "{work}/notes.md", "--out", "{work}/outdir"),
    ),
    BadInput(
        "ingest-out-in-proc",
        TRACEBACK,
        "ingest --out /proc/x",
        r"cannot write (--out )?/proc/x",
        past("ingest", "{work}/notes.md", "--out", "/proc/x"),
    ),
    BadInput(
        "ingest-max-mb-nan",
        TRACEBACK,
        "ingest --max-mb nan",
        r"argument --max-mb: 'nan' is not a finite number",
        past("ingest", "{work}/notes.md", "--out", "{out}/docs.jsonl", "--max-mb", "nan"),
    ),
    BadInput(
        "chat-without-chat-template",
        TRACEBACK,
        "chat with a checkpoint that has no chat template",
        r"has no chat template .* so it cannot chat",
        past("chat", "hello", "--model", "{work}/no-template", "--max-new-tokens", "4"),
    ),
    BadInput(
        "chat-temperature-nan",
        TRACEBACK,
        "chat --temperature nan",
        r"argument --temperature: 'nan' is not a finite number",
        past("chat", "hello", "--temperature", "nan"),
    ),
    BadInput(
        "eval-questions-not-objects",
        TRACEBACK,
        'eval of a QA file with questions: [null, 5, "str"]',
        r"bad\.qa\.json: question 1 is None, not an object",
        past("eval", "--qa", "{work}/bad.qa.json", "--out", "{out}/eval"),
    ),
    BadInput(
        "eval-batch-size-zero",
        TRACEBACK,
        "eval --batch-size 0",
        r"argument --batch-size: must be at least 1",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "{out}/eval", "--batch-size", "0"),
    ),
    BadInput(
        "job-interval-inf",
        TRACEBACK,
        "job submit selftest.count -p interval_s=inf",
        r"parameter 'interval_s' must be a finite number",
        past("job", "submit", "selftest.count", "-p", "interval_s=inf"),
    ),
    # --- hostile structure and numbers (issue 25; ids hostile-): one JSON loader with limits, one table of ranges ---
    BadInput(
        "hostile-config-deep-json",
        TRACEBACK,
        "sft --config FILE whose JSON is nested 100,000 levels deep (was RecursionError)",
        r"config file .*deep\.json is not valid JSON: it is nested deeper than 100 levels",
        past("sft", "{work}/notes.md", "--config", "{work}/deep.json", "--out", "{out}/sft"),
    ),
    BadInput(
        "hostile-qa-long-integer",
        TRACEBACK,
        "eval --qa FILE holding a 5,000-digit integer (was ValueError: integer string conversion limit)",
        r"a whole number of 5000 digits is longer than the 40 digits read",
        past("eval", "--qa", "{work}/bigint.qa.json", "--out", "{out}/eval"),
    ),
    BadInput(
        "hostile-manifest-deep-json",
        TRACEBACK,
        "skill import of a folder whose skill.json is nested 100,000 levels deep",
        r"skill\.json is not valid JSON: it is nested deeper than 100 levels",
        past("skill", "import", "{work}/deep-manifest"),
    ),
    BadInput(
        "hostile-seed-1e23",
        TRACEBACK,
        "sft --seed 1e23",
        r"argument --seed: .*not a whole number",
        past("sft", "{work}/notes.md", "--seed", "1e23"),
    ),
    BadInput(
        "hostile-lr-nan",
        TRACEBACK,
        "sft --lr nan",
        r"argument --lr: 'nan' is not a finite number",
        past("sft", "{work}/notes.md", "--lr", "nan"),
    ),
    BadInput(
        "hostile-lr-negative",
        GARBAGE,
        "sft --lr -1",
        r"argument --lr: must be greater than 0, got -1",
        past("sft", "{work}/notes.md", "--lr=-1"),
    ),
    BadInput(
        "hostile-threads-negative",
        TRACEBACK,
        "sft --threads -2",
        r"argument --threads: must be at least 1, got -2",
        past("sft", "{work}/notes.md", "--threads=-2"),
    ),
    BadInput(
        "hostile-threads-100000",
        TRACEBACK,
        "sft --threads 100000 (panicked, segfaulted and starved the machine of processes)",
        r"argument --threads: must be at most \d+ \(4 × the \d+ CPU cores of this machine\), got 100000",
        past("sft", "{work}/notes.md", "--threads", "100000"),
    ),
    BadInput(
        "hostile-generations-one",
        TRACEBACK,
        "grpo --num-generations 1",
        r"argument --num-generations: must be at least 2, got 1 .*GRPO compares at least 2 answers|at least 2",
        past("grpo", "{work}/good.qa.json", "--num-generations", "1"),
    ),
    BadInput(
        "hostile-beta-nan",
        GARBAGE,
        "grpo --beta nan",
        r"argument --beta: 'nan' is not a finite number",
        past("grpo", "{work}/good.qa.json", "--beta", "nan"),
    ),
    BadInput(
        "hostile-rank-20000",
        GARBAGE,
        "sft --rank 20000",
        r"argument --rank: must be at most 4096",
        past("sft", "{work}/notes.md", "--rank", "20000"),
    ),
    BadInput(
        "hostile-steps-zero",
        GARBAGE,
        "sft --steps 0 (ran 1 step)",
        r"argument --steps: must be at least 1, got 0",
        past("sft", "{work}/notes.md", "--steps", "0"),
    ),
    BadInput(
        "hostile-max-new-tokens-1e20",
        GARBAGE,
        "eval --max-new-tokens 1e20",
        r"argument --max-new-tokens: .*not a whole number",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "{out}/eval", "--max-new-tokens", "1e20"),
    ),
    BadInput(
        "hostile-ingest-max-mb-1e308",
        TRACEBACK,
        "ingest --max-mb 1e308",
        r"argument --max-mb: must be at most",
        past("ingest", "{work}/notes.md", "--out", "{out}/docs.jsonl", "--max-mb", "1e308"),
    ),
    BadInput(
        "hostile-audit-limit-1e20",
        TRACEBACK,
        "audit --limit 1e20",
        r"argument --limit: .*not a whole number",
        past("audit", "--limit", "1e20"),
    ),
    BadInput(
        "hostile-job-priority-1e23",
        TRACEBACK,
        "job submit --priority 1e23",
        r"argument --priority: .*not a whole number",
        past("job", "submit", "selftest.count", "--priority", "1e23"),
    ),
    BadInput(
        "hostile-job-timeout-nan",
        GARBAGE,
        "job submit --timeout nan (was stored)",
        r"argument --timeout: 'nan' is not a finite number",
        past("job", "submit", "selftest.count", "--timeout", "nan"),
    ),
    BadInput(
        "hostile-launch-port-70000",
        TRACEBACK,
        "launch.py --port 70000",
        r"argument --port: must be at most 65535",
        ("--port", "70000", "--data-dir", "{out}/studio"),
        tool="launch",
    ),
    BadInput(
        "hostile-job-spec-kind-list",
        TRACEBACK,
        'job submit --spec a file holding {"kind": ["a"]}',
        r"a job kind is a name \(string\), got \['a'\]",
        past("job", "submit", "--spec", "{work}/kind-list.json"),
    ),
    BadInput(
        "hostile-daemon-cpu-slots-zero",
        GARBAGE,
        "job daemon --cpu-slots 0 (was silently 2)",
        r"argument --cpu-slots: must be at least 1, got 0",
        past("job", "daemon", "--cpu-slots", "0"),
    ),
    BadInput(
        "hostile-daemon-grace-nan",
        GARBAGE,
        "job daemon --grace nan",
        r"argument --grace: 'nan' is not a finite number",
        past("job", "daemon", "--grace", "nan"),
    ),
    BadInput(
        "hostile-model-name-300",
        TRACEBACK,
        "inject --name a 300-character model name",
        r"model name 'a{300}' is not allowed: .*at most 100 characters",
        past("inject", "default", "--skill", "qa", "--name", "a" * 300),
    ),
    BadInput(
        "fault-full-disk-skill-import",
        TRACEBACK,
        "a full disk (a real 64 KiB tmpfs as the skill library) while skill import copies a folder or unpacks a .zip",
        "one line: 'cannot write … the disk is full; free some space or write somewhere else'; the library holds "
        "nothing half-written",
        covered_by="tests/test_outputs.py::test_skill_import_onto_a_full_disk_says_so_in_one_line_and_keeps_nothing",
    ),
    BadInput(
        "fault-model-record-corrupt",
        SMALLER,
        "a stored model whose model.json is not JSON, a list, nested 100,000 deep or missing fields",
        "`model list` shows it as 'broken' with what is wrong (and --json as kind 'broken'); it is never offered "
        "as a model to use, and it no longer disappears silently",
        covered_by="tests/test_models.py::test_a_model_with_an_unreadable_record_is_listed_as_broken_not_hidden",
    ),
    BadInput(
        "fault-damaged-store",
        TRACEBACK,
        "a truncated or page-corrupted studio.sqlite under job list, docs list, job submit, audit and launch.py",
        r"",
        covered_by="tests/test_store_damage.py::test_a_damaged_store_gets_a_message_that_says_what_to_do",
    ),
    # --- garbage accepted silently ------------------------------------------------------------------------
    BadInput(
        "manifest-default-lambda-text",
        GARBAGE,
        'skill import of a manifest with default_lambda "abc"',
        r"default_lambda: input should be a valid number \(got 'abc'\)",
        past("skill", "import", "{work}/lambda-abc", "--name", "g1"),
    ),
    BadInput(
        "manifest-default-lambda-nan",
        GARBAGE,
        "skill import of a manifest with default_lambda NaN",
        r"default_lambda: input should be a finite number",
        past("skill", "import", "{work}/lambda-nan", "--name", "g2"),
    ),
    BadInput(
        "manifest-rank-text",
        GARBAGE,
        'skill import of a manifest with rank "eight"',
        r"rank: input should be a valid integer \(got 'eight'\)",
        past("skill", "import", "{work}/rank-eight", "--name", "g3"),
    ),
    BadInput(
        "manifest-format-99",
        GARBAGE,
        "skill import of a manifest with format_version 99",
        r"is in skill format 99; this PaST Studio reads formats up to 1",
        past("skill", "import", "{work}/format-99", "--name", "g4"),
    ),
    BadInput(
        "manifest-without-base-fingerprint",
        GARBAGE,
        "skill import of a manifest without base_fingerprint",
        r"base_fingerprint is missing",
        past("skill", "import", "{work}/no-fingerprint", "--name", "g5"),
    ),
    BadInput(
        "skill-nan-tensors-without-hash",
        GARBAGE,
        "skill import of NaN tensors with no content hash in the manifest",
        r"holds \d+ NaN/Inf values",
        past("skill", "import", "{work}/nan-no-hash", "--name", "g6"),
    ),
    BadInput(
        "eval-limit-negative",
        GARBAGE,
        "eval --limit -1",
        r"argument --limit: must be at least 1",
        past("eval", "--qa", "{work}/good.qa.json", "--out", "{out}/eval", "--limit", "-1"),
    ),
    BadInput(
        "job-metrics-unknown-id",
        GARBAGE,
        "job metrics of a job id that does not exist",
        r"no job with id 000000000000",
        past("job", "metrics", "000000000000"),
    ),
    BadInput(
        "job-logs-raw-unknown-id",
        GARBAGE,
        "job logs --raw of a job id that does not exist",
        r"no job with id 000000000000",
        past("job", "logs", "000000000000", "--raw"),
    ),
    BadInput(
        "job-collection-missing",
        GARBAGE,
        "job submit pipeline.adapt -p collection=<none such>",
        r"parameter 'collection': the collection 'nowhere' has no documents",
        past("job", "submit", "pipeline.adapt", "-p", "collection=nowhere", "-p", "skill=qa"),
    ),
    BadInput(
        "job-skill-missing",
        GARBAGE,
        "job submit pipeline.adapt -p skill=<none such>",
        r"parameter 'skill': 'no-such-skill' is neither a skill in the library",
        past("job", "submit", "pipeline.adapt", "-p", "collection=notes", "-p", "skill=no-such-skill"),
    ),
    BadInput(
        "job-base-missing",
        GARBAGE,
        "job submit pipeline.adapt -p base=<none such>",
        r"parameter 'base': unknown model 'no-such-model'",
        past("job", "submit", "pipeline.adapt", "-p", "collection=notes", "-p", "mode=sft", "-p", "base=no-such-model"),
    ),
    BadInput(
        "job-source-collection-without-questions",
        GARBAGE,
        "job submit pipeline.build_skill on a collection without questions",
        r"parameter 'collection': the collection 'notes' has no questions",
        past("job", "submit", "pipeline.build_skill", "-p", "name=s2", "-p", "collection=notes"),
    ),
    BadInput(
        "job-qa-path-malformed",
        GARBAGE,
        "job submit evaluate -p qa_path=<malformed QA file>",
        r"parameter 'qa_path': bad\.qa\.json: question 1 is None",
        past("job", "submit", "evaluate", "-p", "models=default", "-p", "qa_path={work}/bad.qa.json"),
    ),
    BadInput(
        "job-models-missing",
        GARBAGE,
        "job submit evaluate -p models=<none such>",
        r"parameter 'models': unknown model 'no-such-model'",
        past("job", "submit", "evaluate", "-p", "models=no-such-model", "-p", "qa_path={work}/good.qa.json"),
    ),
    # --- smaller -----------------------------------------------------------------------------------------------
    BadInput(
        "ingest-invalid-utf8",
        SMALLER,
        "ingest of a text file that is not valid UTF-8",
        r"warning: latin1\.txt is not valid UTF-8 \(byte \d+ is b'\\xe9'\); it was read as Latin-1",
        past("ingest", "{work}/latin1.txt", "--out", "{out}/docs.jsonl"),
        exit_code=0,
    ),
    BadInput(
        "ingest-max-mb-negative",
        SMALLER,
        "ingest --max-mb -1",
        r"argument --max-mb: must be greater than 0",
        past("ingest", "{work}/notes.md", "--out", "{out}/docs.jsonl", "--max-mb", "-1"),
    ),
    BadInput(
        "ingest-chunks-bogus",
        SMALLER,
        "ingest --chunks bogus (used to convert the default model first)",
        r"unknown chunking 'bogus'",
        past(
            "ingest",
            "{work}/notes.md",
            "--out",
            "{out}/docs.jsonl",
            "--chunks",
            "bogus",
            "--model",
            "smollm2-135m-instruct",
        ),
    ),
    BadInput(
        "docx-zip-bomb",
        SMALLER,
        "ingest of a 444 KB .docx that inflates to 400 MB",
        r"bomb\.docx: would unpack to 401 MB from 0\.4 MB, more than the 100 MB",
        past("ingest", "{work}/bomb.docx", "--out", "{out}/docs.jsonl"),
    ),
    BadInput(
        "gradio-upload-cache",
        SMALLER,
        "a file uploaded through the browser",
        "stored under <data>/tmp/gradio, not the system temp directory",
        covered_by="tests/test_launch.py::test_browser_uploads_land_inside_the_data_directory",
    ),
    # --- a shared studio (studio/http_guard.py, backend/path_policy.py) ------------------------------------
    BadInput(
        "share-viewer-uploads",
        SMALLER,
        "on an exposed studio a viewer POSTs a file to the upload endpoint; an editor POSTs more than the cap",
        "403 for a viewer, 413 over the cap (411 when the size is not declared); nothing is stored",
        covered_by="tests/test_share_hardening.py::test_uploads_only_by_editors_within_the_cap_and_headers",
    ),
    BadInput(
        "share-viewer-chat-flood",
        SMALLER,
        "one viewer queues 30 chats while another user asks",
        "429 beyond the per-user cap (1 running, 2 waiting); the other user's reply is not held up",
        covered_by="tests/test_share_hardening.py::test_one_viewers_flood_of_chats_does_not_hold_up_another_users_reply",
    ),
    BadInput(
        "share-endpoint-loopback",
        SMALLER,
        "simulator endpoint `[::1]`, `0x7f000001`, `169.254.169.254`, the studio itself, a private address",
        "refused after resolving the host: only public internet addresses",
        covered_by="tests/test_share_hardening.py::test_endpoints_on_this_machine_or_its_networks_are_refused",
    ),
    BadInput(
        "share-password-guessing",
        SMALLER,
        "wrong passwords in a row on the login page",
        "429 after 5 a minute per user name and client (20 per client), with Retry-After",
        covered_by="tests/test_share_hardening.py::test_wrong_passwords_are_throttled",
    ),
    BadInput(
        "share-viewer-sees-paths",
        SMALLER,
        "a viewer reads the page, `/config`, the API schema and the skills table",
        "names only, never the data directory's path",
        covered_by="tests/test_share_hardening.py::test_viewer_pages_and_api_schema_name_no_server_path",
    ),
    BadInput(
        "launch-upload-cap-nan",
        SMALLER,
        "launch.py --max-upload-mb nan",
        r"--max-upload-mb must be a number of MB above 0",
        ("--max-upload-mb", "nan", "--data-dir", "{out}/studio"),
        tool="launch",
    ),
    BadInput(
        "launch-per-user-cap-not-below-global",
        SMALLER,
        "launch.py --auth a:b --max-generations-per-user 2 (the studio's own limit)",
        r"--max-generations-per-user must be below the studio's 2 replies at once",
        ("--auth", "a:b", "--max-generations-per-user", "2", "--data-dir", "{out}/studio"),
        tool="launch",
    ),
)

NOT_HERE = (
    'λ parsing and bounds (`inject --lam=-1e9`, `--lam "0.8,bogus=1"`, λ = nan) are checked in '
    "`past/skills/lambdas.py`, with their own tests (`tests/test_lambdas.py`).",
    "What the studio's HTTP API accepts when shared (paths from browsers, roles) is covered by "
    "`tests/test_share_exposed.py`, `tests/test_share_hardening.py` and `tests/test_path_policy.py`.",
)


def render() -> str:
    """``docs/bad-inputs.md``: every row, grouped as in the issue."""
    lines = [
        "# Bad inputs covered by the test suite",
        "",
        "Generated from `tests/bad_inputs.py` (`python -m tests.bad_inputs > docs/bad-inputs.md`); "
        "`tests/test_bad_inputs.py` runs every row and fails if this file is out of date. A row with a command "
        "runs it against a data directory with a registered base model and a library skill, and asserts the "
        "exit code, the error, no traceback, and unchanged checksums of the database, the uploads, the model "
        "store, the skill library and the input files. Other rows name the test that runs them.",
        "",
    ]
    for group in GROUPS:
        lines += [
            f"## {group}",
            "",
            "| hostile input | how it is tried | expected | exit |",
            "| --- | --- | --- | --- |",
        ]
        for case in (c for c in CASES if c.group == group):
            how = f"`{case.command}`" if case.argv else f"`{case.covered_by}`"
            expect = f"`{case.expect}`" if case.argv else case.expect
            exit_code = str(case.exit_code) if case.argv else "-"
            lines.append(f"| {case.hostile} | {_cell(how)} | {_cell(expect)} | {exit_code} |")
        lines.append("")
    lines += ["## Not covered here", ""] + [f"- {note}" for note in NOT_HERE] + [""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(render(), end="")
