"""义粉护照 · 方兴社区 volunteer passport: points for volunteer hours, redeemed for gifts."""
INCUBATOR_DEFAULT_PARKS = ["fangxing"]
