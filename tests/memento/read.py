"""Reads a page's memento at a datetime from lmsdr with the Memento client, as JSON.

usage: read.py BASE URI_M DATETIME   (DATETIME as YYYYMMDDhhmmss, UTC)

URI_M is one of lmsdr's memento URLs: the client finds the original from its Link header, then
asks lmsdr's TimeGate (BASE/timegate/) for the memento in force at DATETIME.
"""

import json
import sys
from datetime import datetime

from memento_client import MementoClient


def main():
    base, uri_m, when = sys.argv[1:4]
    client = MementoClient(timegate_uri=base + "/timegate/", check_native_timegate=False)
    info = client.get_memento_info(uri_m, datetime.strptime(when, "%Y%m%d%H%M%S"))
    print(json.dumps(info, default=lambda d: d.strftime("%Y%m%d%H%M%S")))


if __name__ == "__main__":
    main()
