"""Lead conversion: the contact (and company) sales asked for under ids it generated."""
