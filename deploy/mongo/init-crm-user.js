// The services' MongoDB user: runs once, on the first start of an empty data volume
// (the image's /docker-entrypoint-initdb.d), with the root user already created.
// readWrite on each service's database (CRM_DB_PREFIX "crm_" + service) and nothing else:
// a new service needs its database added here and `db.grantRolesToUser` on a running system.
const services = ["leads", "reception", "notify", "reports", "deals", "customers", "console"];
db.getSiblingDB("admin").createUser({
  user: "crm",
  pwd: process.env.CRM_MONGO_PASSWORD,
  roles: services.map((name) => ({ role: "readWrite", db: "crm_" + name })),
});
