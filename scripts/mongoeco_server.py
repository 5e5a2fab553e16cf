"""Run mongoeco's MongoDB-wire-compatible server (memory engine) on 127.0.0.1:PORT until killed.

For exercising the real pymongo driver path where no mongod can be installed; needs Python >= 3.13
and `pip install mongoeco`. Usage: python scripts/mongoeco_server.py 27017
"""

import asyncio
import sys

from mongoeco.engines import MemoryEngine
from mongoeco.wire import AsyncMongoEcoProxyServer


async def main(port):
    proxy = AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=port)
    address = await proxy.start()
    print(address.uri, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 27017))
