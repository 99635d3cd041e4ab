"""What a record produces for people: its QR codes (link and offline), a printable certificate."""
