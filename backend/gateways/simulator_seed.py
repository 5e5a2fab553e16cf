"""SIMULATOR_SEED, the one secret the stateful simulators derive their keys from (PayPal's RSA key
and certificate, Google Pay's root, intermediate and merchant keys), so all processes of a
deployment sharing its configuration verify each other's webhooks and tokens. Each gateway whose
simulator uses it declares it in its entry (`SETTING`, `DEV_SETTING`)."""

# Its fixed, documented development value: keys derived from it are public, like the other
# simulator secrets. Simulator mode moves no money; production refuses it.
DEV_SIMULATOR_SEED = "simulator_seed"
SETTING = {"SIMULATOR_SEED": ""}
DEV_SETTING = {"SIMULATOR_SEED": DEV_SIMULATOR_SEED}
