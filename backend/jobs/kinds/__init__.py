"""Built-in job kinds, one module each (see ``backend.jobs.registry.KIND_MODULES``)."""
