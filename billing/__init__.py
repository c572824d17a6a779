"""Billing: cost shares, invoices and credit notes, VAT, payments (bank and Stripe), statements, PDF, UBL and Xero."""
