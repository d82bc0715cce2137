"""ISO 4217 currencies in circulation and their minor units.

The table is data, not logic: the codes come from CLDR's territory currencies in tender
(generated once with babel), and the exponents follow ISO 4217, which differs from CLDR's
display digits for a few currencies (IQD has 3 minor digits, AFN and IRR have 2).
"""

_ZERO_DECIMALS = frozenset(
    """
    BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF
    """.split()
)

_THREE_DECIMALS = frozenset(
    """
    BHD IQD JOD KWD LYD OMR TND
    """.split()
)

_TWO_DECIMALS = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW
    KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
    MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR
    SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH
    USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG
    """.split()
)

MINOR_UNITS: dict[str, int] = {
    **{code: 0 for code in _ZERO_DECIMALS},
    **{code: 2 for code in _TWO_DECIMALS},
    **{code: 3 for code in _THREE_DECIMALS},
}
