"""`make bench`'s wire store: mongoeco's MongoDB-wire server that also counts the commands it runs.

    .venv-eco/bin/python scripts/bench_store.py PORT COUNTS_PORT

The server of scripts/mongoeco_server.py (memory engine) on 127.0.0.1:PORT; every command it
executes is counted by database and command name, and a connection to 127.0.0.1:COUNTS_PORT gets
the counts as one JSON line, `{"<database>": {"<command>": n}}`, then is closed. Counting in the
store's process costs the service under measurement nothing: it runs with no listener of ours.
Needs Python >= 3.13 and mongoeco (.venv-eco, as scripts/test_real_driver.sh makes it).
"""

import asyncio
import collections
import json
import sys

from mongoeco.engines import MemoryEngine
from mongoeco.wire import AsyncMongoEcoProxyServer
from mongoeco.wire.executor import WireCommandExecutor

COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def count_commands():
    """Every command the wire server executes passes through `WireCommandExecutor.execute_prepared`
    with its database and command name; count each one there."""
    execute = WireCommandExecutor.execute_prepared

    async def counted(executor, context):
        COUNTS[context.db_name][context.command_name] += 1
        return await execute(executor, context)

    WireCommandExecutor.execute_prepared = counted


async def send_counts(reader, writer):
    writer.write(json.dumps(COUNTS).encode() + b"\n")
    await writer.drain()
    writer.close()


async def main(port, counts_port):
    count_commands()
    proxy = AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=port)
    address = await proxy.start()
    await asyncio.start_server(send_counts, "127.0.0.1", counts_port)
    print(address.uri, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
