"""Channel adapters: each translates one platform's documented format into an OrderDraft.

Each module offers ``verify(headers, body, secret)``, ``delivery(headers, payload)`` and
``parse(payload, channel)`` (see ``base.ChannelAdapter``); header names are lower-case.
"""

from types import ModuleType

from despatch.integrations.channels import (
    amazon,
    bigcommerce,
    ebay,
    generic,
    shopify,
    woocommerce,
)

ADAPTERS: dict[str, ModuleType] = {
    m.KIND: m for m in (shopify, woocommerce, ebay, amazon, bigcommerce, generic)
}


def adapter_for(kind: str) -> ModuleType | None:
    return ADAPTERS.get(kind)
