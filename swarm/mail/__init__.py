"""Mail: tickets by e-mail in (IMAP polling, an SMTP listener) and notifications out (SMTP).

``tokens`` is the contract between the two sides: every mail Swarm sends carries a reply
address and a ``Message-ID`` that name the ticket and the person it was sent to, signed with
the instance's secret, so that a reply lands on the same ticket — never by its subject alone —
and a mail that claims to be our own can be told from one that is.
"""
