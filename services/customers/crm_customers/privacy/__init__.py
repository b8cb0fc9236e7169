"""Personal data (个人信息保护法, PIPL): erasure requests, their progress per service, the subject-access export,
and what the customers service itself keeps about a customer (docs/architecture.md "Personal data and erasure")."""
