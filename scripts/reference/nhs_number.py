"""Reference values for sprout's NHS number check and pseudonym tests.

Run: python3 scripts/reference/nhs_number.py
"""
import hashlib
import hmac


def check(number: str) -> str:
    digits = [int(c) for c in number]
    total = sum(d * (10 - i) for i, d in enumerate(digits[:9]))
    value = 11 - total % 11
    if value == 10:
        return "check gives ten"
    return "valid" if (0 if value == 11 else value) == digits[9] else "wrong check digit"


for n in ["9434765919", "4010232137", "1000000060", "0000000000", "9434765918", "1000000010"]:
    print(n, check(n))

print(hmac.new(b"0123456789abcdef-key-one", b"9434765919", hashlib.sha256).hexdigest()[:32])
