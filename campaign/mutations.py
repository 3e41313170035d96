"""Generated cases: random mutations of the valid correction, reproducible from a seed.

Half are byte-level (what a fuzzer or a broken client sends); half edit the XML and sign it again
properly, so the signature passes and the deeper checks must catch them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from lxml import etree

from campaign.bench import Bench
from campaign.model import Case, Expect
from duis.signature import sign
from duis.xml import DS, to_bytes
from support.duis_client import sign_request

GENERATED = "generated mutations"
ANY_REJECTION = Expect(harmless_success=True)
JUNK = [
    "",
    " ",
    "0",
    "-1",
    "NetworkOperator",
    "Supplier",
    "ACB",
    "true",
    "AAAA",
    "90-B3-D5-1F-30-00-00-00",
    "x" * 300,
    "\u00e9\u00df\u4e2d",
    "<",
    "&amp;",
    "1.1",
    "18446744073709551616",
    "6.15.1",
    "4.1.1",
]


def _byte_mutation(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("flip", "insert", "delete", "truncate", "duplicate"))
        at = rng.randrange(len(data)) if data else 0
        if kind == "flip" and data:
            data[at] ^= 1 << rng.randrange(8)
        elif kind == "insert":
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == "delete" and data:
            del data[at : at + rng.randint(1, 16)]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate" and data:
            end = min(len(data), at + rng.randint(1, 64))
            data[at:at] = data[at:end]
    return bytes(data)


def _tree_mutation(rng: random.Random, root: etree._Element) -> None:
    elements = [
        e for e in root.iter() if isinstance(e.tag, str) and e is not root and not e.tag.startswith(f"{{{DS}}}")
    ]
    target = rng.choice(elements)
    kind = rng.choice(("drop", "text", "duplicate", "move", "attribute"))
    parent = target.getparent()
    if kind == "drop":
        parent.remove(target)
    elif kind == "text":
        target.text = (
            rng.choice(JUNK) if rng.random() < 0.7 else "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(8))
        )
    elif kind == "duplicate":
        parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    elif kind == "move":
        parent.remove(target)
        rng.choice([e for e in root.iter() if isinstance(e.tag, str)]).append(target)
    else:
        target.set(rng.choice(("schemaVersion", "id", "x")), rng.choice(JUNK))


def generated_cases(bench: Bench, count: int, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for n in range(count):
        case_seed = rng.randrange(2**32)
        if n % 2 == 0:
            yield Case(GENERATED, f"bytes #{n} (seed {case_seed})", _bytes_case(bench, case_seed), ANY_REJECTION)
        else:
            yield Case(
                GENERATED, f"re-signed tree #{n} (seed {case_seed})", _tree_case(bench, case_seed), ANY_REJECTION
            )


def _bytes_case(bench: Bench, seed: int) -> Callable:
    def run():
        body = sign_request(bench.correction(), bench.holder.identity)
        return bench.post(_byte_mutation(random.Random(seed), body))

    return run


def _tree_case(bench: Bench, seed: int) -> Callable:
    def run():
        rng = random.Random(seed)
        root = bench.correction().to_xml()
        for _ in range(rng.randint(1, 3)):
            _tree_mutation(rng, root)
        identity = bench.holder.identity
        return bench.post(to_bytes(sign(root, identity.key, identity.certificate)))

    return run
