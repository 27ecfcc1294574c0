"""ISO 4217 currency codes, and the legacy spellings providers still send.

The set holds the codes of the currencies in circulation (no fund codes,
precious metals, or the ``XTS``/``XXX`` test and "no currency" codes), plus a
few withdrawn recently that an old account may still report. A balance whose
currency is not in it is refused rather than shown with a wrong unit.
"""

from __future__ import annotations

# A block of codes reads and diffs better than a 161-line literal.
ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK
    HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905
)
"""Currency codes a :class:`~.models.Balance` may carry."""

LEGACY_CURRENCY_CODES: dict[str, str] = {
    # SMSC labels the Russian rouble with its pre-1998 code (documented in
    # its API pages). Both are the label of the money the account holds, not
    # a redenomination to apply.
    "RUR": "RUB",
    # The Belarusian rouble before 2016; still common as a label.
    "BYR": "BYN",
}
"""Outdated spellings and the ISO 4217 code that replaces them."""

_MINOR_UNITS: dict[str, int] = {
    # ISO 4217's exponents that are not 2 (the "minor unit" column).
    **dict.fromkeys(
        (
            *("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW"),
            *("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"),
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def minor_unit(code: str) -> int:
    """Decimal places of a currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    return _MINOR_UNITS.get(code, 2)
