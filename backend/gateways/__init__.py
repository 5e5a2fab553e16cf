"""Payment gateways: one package per gateway (`razorpay/`, `paypal/`, `google_pay/`: adapter, API
client, simulator, checkout pages and its `entry.GATEWAY`), and what they share beside them: the
adapter interface (`base.py`), the entry and registry (`entry.py`, `registry.py`), the simulators'
seed (`simulator_seed.py`), webhook delivery (`delivery.py`) and the checkout pages' common parts
(`checkout.py`). No gateway's package imports another's."""
