"""Generated cases: random mutations of the valid correction, reproducible from a seed.

Half mutate its Command Variant 4 request, sent to the Transform service (`serviceT`, where every
access-control check of a Critical request is made), half its Command Variant 5 (the signed
Pre-Command for a CV 4 the DSP has just transformed), sent to Send Command (`serviceS`). Of each, half
are byte-level (what a fuzzer or a broken client sends) and half edit the XML and sign it again
properly, so the signature passes and the deeper checks must catch them. A mutated CV 4 the DSP still
accepts is followed, as a User would, to its CV 5 and its delivered answer (`Bench.post`)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from lxml import etree

from campaign.bench import Bench
from campaign.model import Case, Expect
from duis.signature import sign
from duis.xml import DS, parse, to_bytes
from user_system.client import SERVICE_PATH, TRANSFORM_PATH, sign_request

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
    assert parent is not None  # the root is never chosen
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
    kinds = (
        ("CV 4 bytes", _bytes_case, TRANSFORM_PATH),
        ("CV 4 re-signed tree", _tree_case, TRANSFORM_PATH),
        ("CV 5 bytes", _bytes_case, SERVICE_PATH),
        ("CV 5 re-signed tree", _tree_case, SERVICE_PATH),
    )
    for n in range(count):
        case_seed = rng.randrange(2**32)
        name, make, path = kinds[n % len(kinds)]
        yield Case(GENERATED, f"{name} #{n} (seed {case_seed})", make(bench, case_seed, path), ANY_REJECTION)


def _valid(bench: Bench, path: str) -> bytes:
    """The valid message for the web service at `path`: the correction's CV 4, or a CV 5 for it."""
    if path == SERVICE_PATH:
        return bench.valid_cv5()
    return sign_request(bench.correction(), bench.holder.identity)


def _bytes_case(bench: Bench, seed: int, path: str) -> Callable:
    def run():
        return bench.post(_byte_mutation(random.Random(seed), _valid(bench, path)), path=path)

    return run


def _tree_case(bench: Bench, seed: int, path: str) -> Callable:
    def run():
        rng = random.Random(seed)
        root = bench.correction().to_xml() if path == TRANSFORM_PATH else _unsigned(_valid(bench, path))
        for _ in range(rng.randint(1, 3)):
            _tree_mutation(rng, root)
        identity = bench.holder.identity
        return bench.post(to_bytes(sign(root, identity.key, identity.certificate)), path=path)

    return run


def _unsigned(body: bytes) -> etree._Element:
    """A signed message without its signature (to be edited and signed again)."""
    root = parse(body)
    for signature in root.findall(f"{{{DS}}}Signature"):
        root.remove(signature)
    return root
