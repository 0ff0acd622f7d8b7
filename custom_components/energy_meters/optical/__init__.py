"""Optical and customer-port meters: IEC 62056-21 readout, DLMS/COSEM push, SML push."""
