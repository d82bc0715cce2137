"""Set-up without a shell: the ops manager's pages to list, add and change the configuration
(users, tokens, channels, warehouses, SKUs, cartons, carriers, notification templates).

Every form calls the same service function as the API and the CLI, so it is validated by the
same rules and audited the same way; a refused field is shown next to the field."""
