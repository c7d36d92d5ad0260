"""Stand-ins for the NHS side, for tests, demos and benchmarks only: the MHS adaptor and Spine
simulator (simulator/) and a private RabbitMQ broker started as a child (broker.py).

Nothing real may import this package: the engine, store, card, spine client and UI talk to the
real NHS MHS adaptor and never to a stand-in. Only the command line's demo, simulator and bench
commands (scrtui/cli) start one; an import-linter contract in pyproject.toml holds it.
"""
