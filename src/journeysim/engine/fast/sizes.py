"""Batch sizes of the fast engine; read at call time (`sizes.CHUNK`), so tests can shrink them to prove batching
invisible."""

from __future__ import annotations

CHUNK = 1 << 19  # customers whose purchases and referrals are booked together, round by round
LEDGER = 1 << 19  # purchases kept in the ledger before their money is booked
PIECE = 1 << 17  # customers jumped together inside a chunk: bounds temporaries, keeps each round in cache
RUN = 1 << 12  # customers already in time order, from this many on, are put in day buckets by binary search
WINDOW = 366  # days covered by the calendar of day buckets when the population is brought up to date daily
