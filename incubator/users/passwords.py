"""What a new password must be: at least 8 characters, not the username, not a common one.

Existing passwords are not judged again: the demo accounts keep `demo12345`, but nobody can choose it
(or 12345678, password, …) as a new password.
"""
import secrets

from flask_babel import gettext as _

MIN_LENGTH = 8

# The passwords tried first by anyone guessing (and the demo's own): refused as new passwords.
COMMON = frozenset("""
12345678 123456789 1234567890 0123456789 87654321 98765432 11223344 12341234 12344321 123123123
11111111 00000000 66666666 88888888 99999999 password password1 password123 passw0rd p@ssw0rd
qwertyui qwerty123 qwertyuiop asdfghjk 1qaz2wsx qazwsxedc abc12345 abcd1234 a1234567 a12345678
aa123456 abc123456 iloveyou woaini1314 5201314520 admin123 admin1234 admin12345 administrator
welcome1 letmein1 changeme demo12345 test1234 test12345
""".split())


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be chosen as a new password, or None when it is fine."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("密码至少%(n)s位", n=MIN_LENGTH)
    folded = password.casefold()
    name = (username or "").strip().casefold()
    if name and folded == name:
        return _("密码不能与用户名相同")
    if name and len(name) >= 3 and name in folded and not any(c.isalpha() for c in folded.replace(name, "", 1)):
        return _("密码不能是用户名加数字或符号，请换一个")
    if folded in COMMON or _trivial(folded):
        return _("这个密码太常见，容易被猜到，请换一个")
    return None


def _trivial(folded: str) -> bool:
    """A run of consecutive characters (23456789, abcdefgh, 98765432) or a short pattern repeated
    (11111111, 12121212, abcabcab): the first things tried after the common list."""
    steps = {ord(b) - ord(a) for a, b in zip(folded, folded[1:])}
    if steps in ({0}, {1}, {-1}):
        return True
    return any(folded == (folded[:n] * len(folded))[:len(folded)] for n in range(1, 5))


# No look-alikes (0/O, 1/l/I), so a password read out on the phone is typed right.
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate() -> str:
    """A random password of 12 characters (about 70 bits), with at least one digit."""
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _position in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate
