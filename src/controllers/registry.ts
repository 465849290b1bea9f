import type { ControllerFactory } from '../operator.ts';

/**
 * The controllers `npm start` runs. The ContainerRegistry, RegistryToken and CleanupPolicy
 * controllers register here as they land (issues #5, #6, #7); until then the operator runs its
 * engine, leader election, health and metrics with no kind to reconcile.
 */
export const registeredControllers: ControllerFactory = () => [];
