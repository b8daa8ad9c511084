"""POST /_localstack/state/reset for LocalStack community, as stagegate's emulator backend uses it.

LocalStack community has each service's state-reset hooks but serves the reset route only in
its Pro edition. This plugin, loaded through the `localstack.hooks.on_infra_start` entry point,
offers the route: for every running service it runs the service's own reset hooks around
emptying its state containers (stores, moto backends, asset directories). DynamoDB's hooks
stop and restart the DynamoDB Local JVM, so its tables are gone too.
"""

import logging
import os
import shutil

from localstack.http import Resource, Response
from localstack.runtime import hooks

LOG = logging.getLogger(__name__)


def _empty_directory(path):
    if not path or not os.path.isdir(path):
        return
    for entry in os.listdir(path):
        full = os.path.join(path, entry)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        else:
            try:
                os.remove(full)
            except FileNotFoundError:
                pass


def _emptier():
    from moto.core.base_backend import BackendDict

    from localstack.services.stores import AccountRegionBundle
    from localstack.state import AssetDirectory, StateVisitor

    class Emptier(StateVisitor):
        def visit(self, state_container):
            if isinstance(state_container, AccountRegionBundle):
                state_container.reset()
            elif isinstance(state_container, BackendDict):
                state_container.reset()
            elif isinstance(state_container, AssetDirectory):
                _empty_directory(str(state_container.path))

    return Emptier()


def reset_running_services():
    from localstack.services.plugins import SERVICE_PLUGINS

    emptier = _emptier()
    names = [n for n in SERVICE_PLUGINS.list_available() if SERVICE_PLUGINS.is_running(n)]
    for name in names:
        service = SERVICE_PLUGINS.get_service(name)
        hook = service.lifecycle_hook
        hook.on_before_state_reset()
        try:
            service.accept_state_visitor(emptier)
        finally:
            hook.on_after_state_reset()
    return names


class StateReset:
    def on_post(self, request):
        names = reset_running_services()
        LOG.info("state reset: %s", ", ".join(names))
        return Response.for_json({"reset": names})


@hooks.on_infra_start()
def stagegate_state_reset():
    from localstack.services.internal import get_internal_apis

    get_internal_apis().add(Resource("/_localstack/state/reset", StateReset()))
