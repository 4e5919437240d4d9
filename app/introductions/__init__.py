"""Introductions (紹介依頼): a member asks to be introduced to the member on the other side of a pair; double opt-in."""
